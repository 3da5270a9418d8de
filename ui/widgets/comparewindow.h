// File → Compare with…: two models on the sentence of the main window, side by side with their
// difference, and the per-step numbers; whose output both read, pieces or words, and (for
// transformers) which heads; while the controller compares, a busy bar and Cancel.
// Draws what ComparisonController holds.
#pragma once

#include <attnviz/decoding/options.h>

#include <QDialog>

#include <vector>

class QComboBox;
class QLabel;
class QProgressBar;
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
    QComboBox *unitsBox() const { return m_unitsBox; }
    QComboBox *viewBox() const { return m_viewBox; } // shown for transformers
    QLabel *messageLabel() const { return m_message; }
    QLabel *unitsLabel() const { return m_units; }

private:
    void showComparison();
    void showFailure(const QString &message);
    void showComputing(bool computing);
    void exportDialog();

    ComparisonController *m_controller;
    ComparisonFigureView *m_view;
    void fillViews();

    QComboBox *m_sharedOutput, *m_unitsBox, *m_viewBox;
    QLabel *m_viewLabel;
    std::vector<HeadSelection> m_views; // m_viewBox's items
    QLabel *m_message, *m_units;
    QProgressBar *m_busy;
    QPushButton *m_cancel;
    QTableWidget *m_table;
    QPushButton *m_export;
};

} // namespace attnviz
