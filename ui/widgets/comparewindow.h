// File → Compare with…: two models on the sentence of the main window, side by side with their
// difference, and the per-step numbers. Draws what ComparisonController holds.
#pragma once

#include <QDialog>

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace attnviz {

class ComparisonController;
class ComparisonFigureView;

class CompareWindow : public QDialog
{
    Q_OBJECT

public:
    // The window takes the controller (made by MainWindow with the models and the sentence).
    explicit CompareWindow(ComparisonController *controller, QWidget *parent = nullptr);

    ComparisonController *controller() const { return m_controller; }
    QTableWidget *table() const { return m_table; }
    QComboBox *sharedOutputBox() const { return m_sharedOutput; }
    QLabel *messageLabel() const { return m_message; }

private:
    void showComparison();
    void showFailure(const QString &message);
    void exportDialog();

    ComparisonController *m_controller;
    ComparisonFigureView *m_view;
    QComboBox *m_sharedOutput;
    QLabel *m_message;
    QTableWidget *m_table;
    QPushButton *m_export;
};

} // namespace attnviz
